package io.sluice.source.internal.json;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How {@link FastJsonBinder} fills one class: its no-argument constructor and its properties, each
 * a public field of a supported type. Built only for classes whose binding by a default Jackson
 * {@code ObjectMapper} is exactly "construct, then set the public fields named in the document": no
 * Jackson (or {@code java.beans}) annotations anywhere, no setters (Jackson prefers a setter to a
 * field, at any visibility), no final or transient public fields, a public no-argument constructor.
 * Any other class gets no plan and is bound by Jackson alone.
 */
final class BeanPlan {
  /** What a property holds; decides how its JSON value is read. */
  enum Kind {
    STRING,
    LONG,
    LONG_BOX,
    INT,
    INT_BOX,
    DOUBLE,
    DOUBLE_BOX,
    BOOLEAN,
    BOOLEAN_BOX,
    LIST,
    BEAN
  }

  /** One public field. For {@link Kind#LIST}, {@code element} says what the list holds. */
  static final class Property {
    final byte[] name;
    final int index;
    final Field field;
    final Kind kind;
    final Kind element;
    BeanPlan bean;

    Property(String name, int index, Field field, Kind kind, Kind element) {
      this.name = name.getBytes(StandardCharsets.US_ASCII);
      this.index = index;
      this.field = field;
      this.kind = kind;
      this.element = element;
    }
  }

  /**
   * More properties than this and the class is left to Jackson (duplicates are tracked in a long).
   */
  static final int MAX_PROPERTIES = 64;

  final Class<?> type;
  private final Constructor<?> constructor;
  Property[] properties = new Property[0];

  private BeanPlan(Class<?> type, Constructor<?> constructor) {
    this.type = type;
    this.constructor = constructor;
  }

  /** The plan for {@code type}, or {@code null} when Jackson must bind it (see the class doc). */
  static BeanPlan of(Class<?> type) {
    return of(type, new HashMap<>());
  }

  private static BeanPlan of(Class<?> type, Map<Class<?>, BeanPlan> building) {
    BeanPlan known = building.get(type);
    if (known != null) {
      return known;
    }
    Constructor<?> constructor = plainConstructor(type);
    if (constructor == null) {
      return null;
    }
    BeanPlan plan = new BeanPlan(type, constructor);
    // registered before its properties, so a class that refers to itself is planned once
    building.put(type, plan);
    List<Property> properties = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
      if (!plainType(c)) {
        return null;
      }
      for (Field field : c.getDeclaredFields()) {
        int mods = field.getModifiers();
        if (Modifier.isStatic(mods) || field.isSynthetic()) {
          continue;
        }
        if (hasJacksonAnnotation(field)) {
          return null;
        }
        if (!Modifier.isPublic(mods)) {
          // Jackson may still use it (a private field with a public getter is a mutator); a key
          // naming it is unknown here and goes to Jackson
          continue;
        }
        if (Modifier.isFinal(mods)
            || Modifier.isTransient(mods)
            || !names.add(field.getName())
            || !StandardCharsets.US_ASCII.newEncoder().canEncode(field.getName())) {
          return null;
        }
        Property property = property(field, properties.size(), building);
        if (property == null || !field.trySetAccessible()) {
          return null;
        }
        properties.add(property);
      }
    }
    if (properties.size() > MAX_PROPERTIES) {
      return null;
    }
    plan.properties = properties.toArray(new Property[0]);
    return plan;
  }

  private static Constructor<?> plainConstructor(Class<?> type) {
    int mods = type.getModifiers();
    ClassLoader loader = type.getClassLoader();
    if (loader == null
        || loader == ClassLoader.getPlatformClassLoader()
        || type.getName().startsWith("java.")
        || type.isInterface()
        || type.isArray()
        || type.isPrimitive()
        || type.isEnum()
        || type.isRecord()
        || Modifier.isAbstract(mods)
        || !Modifier.isPublic(mods)
        || (type.isMemberClass() && !Modifier.isStatic(mods))
        || type.getTypeParameters().length > 0) {
      return null;
    }
    // Jackson binds collections, maps, text and numbers as such, not as beans; a superclass from
    // the JDK (Exception, HashMap...) can bring such handling too
    if (Iterable.class.isAssignableFrom(type)
        || Map.class.isAssignableFrom(type)
        || Map.Entry.class.isAssignableFrom(type)
        || CharSequence.class.isAssignableFrom(type)
        || Number.class.isAssignableFrom(type)) {
      return null;
    }
    for (Class<?> c = type.getSuperclass(); c != Object.class; c = c.getSuperclass()) {
      ClassLoader l = c.getClassLoader();
      if (l == null || l == ClassLoader.getPlatformClassLoader()) {
        return null;
      }
    }
    for (Constructor<?> c : type.getDeclaredConstructors()) {
      if (hasJacksonAnnotation(c)) {
        return null;
      }
    }
    try {
      Constructor<?> constructor = type.getConstructor();
      return constructor.trySetAccessible() ? constructor : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /**
   * No Jackson annotation and no setter on {@code c} or on the interfaces it implements (Jackson
   * merges annotations from interfaces too).
   */
  private static boolean plainType(Class<?> c) {
    if (hasJacksonAnnotation(c) || !setterFree(c)) {
      return false;
    }
    for (Class<?> i : c.getInterfaces()) {
      if (!plainType(i)) {
        return false;
      }
    }
    return true;
  }

  /** Jackson binds through any one-argument method named {@code set…}, whatever its visibility. */
  private static boolean setterFree(Class<?> c) {
    for (Method m : c.getDeclaredMethods()) {
      if (hasJacksonAnnotation(m)) {
        return false;
      }
      if (!Modifier.isStatic(m.getModifiers())
          && m.getParameterCount() == 1
          && m.getName().startsWith("set")) {
        return false;
      }
    }
    return true;
  }

  private static Property property(Field field, int index, Map<Class<?>, BeanPlan> building) {
    Class<?> raw = field.getType();
    Kind kind = scalarKind(raw);
    if (kind != null) {
      return new Property(field.getName(), index, field, kind, null);
    }
    if (raw == List.class) {
      Type generic = field.getGenericType();
      if (!(generic instanceof ParameterizedType p)
          || !(p.getActualTypeArguments()[0] instanceof Class<?> elementType)) {
        return null;
      }
      Kind element = boxedKind(elementType);
      Property property;
      if (element != null) {
        property = new Property(field.getName(), index, field, Kind.LIST, element);
      } else {
        BeanPlan nested = of(elementType, building);
        if (nested == null) {
          return null;
        }
        property = new Property(field.getName(), index, field, Kind.LIST, Kind.BEAN);
        property.bean = nested;
      }
      return property;
    }
    BeanPlan nested = of(raw, building);
    if (nested == null) {
      return null;
    }
    Property property = new Property(field.getName(), index, field, Kind.BEAN, null);
    property.bean = nested;
    return property;
  }

  private static Kind scalarKind(Class<?> c) {
    if (c == long.class) {
      return Kind.LONG;
    } else if (c == int.class) {
      return Kind.INT;
    } else if (c == double.class) {
      return Kind.DOUBLE;
    } else if (c == boolean.class) {
      return Kind.BOOLEAN;
    }
    return boxedKind(c);
  }

  private static Kind boxedKind(Class<?> c) {
    if (c == String.class) {
      return Kind.STRING;
    } else if (c == Long.class) {
      return Kind.LONG_BOX;
    } else if (c == Integer.class) {
      return Kind.INT_BOX;
    } else if (c == Double.class) {
      return Kind.DOUBLE_BOX;
    } else if (c == Boolean.class) {
      return Kind.BOOLEAN_BOX;
    }
    return null;
  }

  /**
   * Any annotation Jackson reads: its own, one meta-annotated by Jackson (e.g. through
   * JacksonAnnotationsInside), or a {@code java.beans} one ({@code @ConstructorProperties} makes a
   * constructor Jackson's creator, {@code @Transient} hides a property).
   */
  private static boolean hasJacksonAnnotation(AnnotatedElement element) {
    for (Annotation a : element.getDeclaredAnnotations()) {
      Class<? extends Annotation> t = a.annotationType();
      if (readByJackson(t)) {
        return true;
      }
      for (Annotation meta : t.getDeclaredAnnotations()) {
        if (readByJackson(meta.annotationType())) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean readByJackson(Class<? extends Annotation> type) {
    String name = type.getName();
    return name.startsWith("com.fasterxml.jackson.") || name.startsWith("java.beans.");
  }

  Object newInstance() {
    try {
      return constructor.newInstance();
    } catch (InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("cannot construct " + type.getName(), e);
    } catch (InvocationTargetException e) {
      // the constructor threw: Jackson reports that to the caller, so does the binder
      throw new ConstructorFailed(e.getCause());
    }
  }

  /**
   * Property number {@code hint} if the document names it at {@code at} (its name then the closing
   * quote); keys usually come in the order of the fields, so this is the usual way a key is found.
   */
  Property matchAt(byte[] doc, int at, int hint) {
    Property[] all = properties;
    if (hint >= all.length) {
      return null;
    }
    byte[] name = all[hint].name;
    int end = at + name.length;
    if (end >= doc.length || doc[end] != '"') {
      return null;
    }
    return matches(name, doc, at, name.length) ? all[hint] : null;
  }

  /** The property named by {@code key[from, from + length)}, or {@code null}. */
  Property find(byte[] key, int from, int length) {
    for (Property p : properties) {
      if (matches(p.name, key, from, length)) {
        return p;
      }
    }
    return null;
  }

  private static boolean matches(byte[] name, byte[] key, int from, int length) {
    if (name.length != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (name[i] != key[from + i]) {
        return false;
      }
    }
    return true;
  }

  /** A user constructor threw; the binder leaves the document to Jackson, which reports it. */
  static final class ConstructorFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConstructorFailed(Throwable cause) {
      super(cause);
    }
  }
}
